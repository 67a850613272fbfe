"""The code that runs inside the sandbox: the supervisor and the program's side of it.

Stdlib only, and never imported by oci except ``wire`` (the configuration and the
status pipe's events), which both sides share. oci starts ``python -S -c "...import
_inside.boot..."`` inside the containment wrapper (boot.py); what a run does not need is
not loaded (the kernel's cell loop and its supervision, the file-system sealing and the
overlay).
"""

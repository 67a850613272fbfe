from oci_interpreter.cli.main import entry

entry()

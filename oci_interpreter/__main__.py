from oci_interpreter.cli.main import run

run()

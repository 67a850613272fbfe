from oci_cli.cli.main import run

run()

from acme_cli.cli import main

main()

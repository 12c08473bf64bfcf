from acme_click.cli import main

main()

from acme_argparse.cli import main

main()

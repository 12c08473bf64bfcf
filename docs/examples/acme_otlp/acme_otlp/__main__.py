from acme_otlp.cli import main

main()

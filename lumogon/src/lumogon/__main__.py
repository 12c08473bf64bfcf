"""`python -m lumogon`: the same as the `lumogon` console script."""

from lumogon.cli import main

main()

"""The bare argparse program (bare_argparse.py) with the consent layer: ``install`` and ``run``."""

import argparse

from lumogon.spec import SPEC

from consent.argparse import install, run

parser = argparse.ArgumentParser(prog="bare-argparse")
commands = parser.add_subparsers(dest="command", required=True)
commands.add_parser("version", help="Print the version.")
install(parser, SPEC)

if __name__ == "__main__":
    args = parser.parse_args()
    run(parser, args)
    print("bare-argparse 1.0.0")

"""The consent program (consent_argparse.py) with the spec given as a lazy reference: the spec module
is imported only when a run may send, show or ask (consent/_start.py decides every off run)."""

import argparse

from consent.argparse import install, run

parser = argparse.ArgumentParser(prog="bare-argparse")
commands = parser.add_subparsers(dest="command", required=True)
commands.add_parser("version", help="Print the version.")
install(parser, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")

if __name__ == "__main__":
    args = parser.parse_args()
    run(parser, args)
    print("bare-argparse 1.0.0")

"""A bare argparse program with one ``version`` subcommand and no telemetry: the argparse
baseline."""

import argparse

parser = argparse.ArgumentParser(prog="bare-argparse")
commands = parser.add_subparsers(dest="command", required=True)
commands.add_parser("version", help="Print the version.")

if __name__ == "__main__":
    args = parser.parse_args()
    print("bare-argparse 1.0.0")

"""lumogon's version, apart from its spec (lumogon/spec.py), so that a command that prints it, or a
run that is off, does not import the spec: the app names its spec lazily (lumogon/cli.py)."""

VERSION = "0.1.0"

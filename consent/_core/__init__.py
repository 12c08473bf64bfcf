"""The pure core: what an app declares and how consent is decided, with no I/O.

- `spec`: the registry an app declares (`AppSpec`, `Field`, `Event`, `Destination`) and the
  notice version derived from it.
- `otlp`: what an OpenTelemetry (OTLP) destination requires of a spec; how its values are typed.
- `value`: `Record`, the one base of every immutable value type in the package.
- `envgrammar`: how `*_DISABLE_ANALYTICS`, `DO_NOT_TRACK` and CI markers are read.
- `records`: the `[telemetry]` table of the user config and of an admin policy, as values.
- `rules`: the decision, from what the sources said to `Decision`.
- `runs`: the decision of the command running in this process, registered by the CLI
  adapter as it starts and used by the gate for every hit of the run.
- `names`: the names and limits every layer shares, each defined once.
- `jsonline`: a small JSON encoder for the sending path's own records.

Nothing here imports from `consent._store`, `consent._wire`, `consent._notice`, `consent._cli` or
`consent.testing` (tests/test_architecture.py holds it to that).
"""

"""Everything on disk: where files live, reading them safely, and recording choices.

- `paths`: the app's files per OS (platformdirs' answer).
- `tomlread`, `tomlfast`: reading TOML without blocking, following bounds, into a `TomlReading`.
- `fileio`: the cross-process lock and the atomic replace.
- `sources`: every source read into the inputs of the decision; `decide` is here.
- `configwrite`, `choices`: writing the user's `[telemetry]` table without losing anything.
- `identity`: the pseudonymous id in the OS keyring or a 0600 file.
- `log`: the capped local log of hits handed to the sender.
- `clock`: the one way timestamps are written.
"""

"""What people and auditors read, generated from the registry.

- `document`: the privacy notice (Markdown and JSON).
- `prompts`: the first-run notice and the opt-in question.
- `preview`: `show-payload`'s requests, built by the sender's own functions.
- `status`: a decision rendered for `status` and `status --json`.
"""

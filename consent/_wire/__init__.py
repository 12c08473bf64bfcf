"""What leaves the machine, and the one gate it passes.

- `hits`: a hit built from the registry; undeclared keys are refused.
- `http`: the exact HTTP request for a hit (GA4 or the legacy protocol), every byte.
- `gate`: the only path to the network: consent checked, hit built, sender started.
- `job`: the typed job the gate hands to the sender.
- `sender`: the detached child process that posts one request.
"""

"""What leaves the machine, and the one gate it passes.

- `hits`: a hit built from the registry; undeclared keys are refused.
- `http`: the exact HTTP request for a hit (GA4, the legacy protocol or OTLP), every byte.
- `otlp`: the body of an OTLP/HTTP JSON hit (an ExportLogsServiceRequest), written here.
- `gate`: the only path to the network: consent checked, hit built, sender started.
- `job`: the typed job the gate hands to the sender.
- `sender`: the detached child process that posts one request.
"""

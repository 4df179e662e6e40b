"""Events: the conferences an instance hosts, each under its own ``/{slug}/``."""

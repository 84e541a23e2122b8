"""The ground floor: what every other package shares and nothing of theirs.

    core.settings   config.toml as frozen settings objects
    core.errors     the root of the exception tree (each package adds its branch)
    core.model      the mail and event model that parsers produce and the store keeps

Imports nothing of kontakt's own; every package may import it.
"""

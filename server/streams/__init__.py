"""Streams as the app sees them: publish-token generations and pre-recorded video addresses.

The relay (``realtime/media``) moves the media; this package decides what it plays and who may publish.
"""

"""A session's replay: the relay's recording of its stream, joined into one file the session page plays."""

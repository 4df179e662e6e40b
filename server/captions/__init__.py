"""Live captions: lines typed per language by a captioner, shown under the stream and kept as WebVTT."""

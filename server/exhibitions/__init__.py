"""Digital exhibitions: a programme item with a gallery, guides, opening hours, visitors and a guided tour."""

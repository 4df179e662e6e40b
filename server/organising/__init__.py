"""Running an event: what its organisers do in the back office that no single other domain owns (creating and
publishing events, their audit log). It sits above the other domains, so it may use them all."""

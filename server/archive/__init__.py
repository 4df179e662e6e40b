"""What a session leaves behind once it ends: its recording switch, its replay's audience, its Q&A and materials."""

"""Class commands: roster, handout, participant, usage."""

"""The radio desk: capture a call-in show, transcribe it live, and turn each caller into a call and a draft."""

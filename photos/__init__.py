"""Citizens' photos: checked by content, re-encoded without metadata, resized."""

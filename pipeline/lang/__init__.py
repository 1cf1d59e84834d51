"""Vietnamese language: text normalization and numbers (vntext), dates,
places, and decoding bytes to text. Imports nothing else of vnfacts."""

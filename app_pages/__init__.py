"""The dashboard's pages, one file each (``app.py`` lists them); ``common`` is what they share."""

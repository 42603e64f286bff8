"""The portal's date and time formats (``FORMAT_MODULE_PATH``), one style for every page, email,
feed and admin screen."""

"""The worklist page on the worker's web server: sign-in, the page, its actions, its assets."""

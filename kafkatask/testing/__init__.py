"""Testing helpers: pytest fixtures against a real broker (see `kafkatask.testing.plugin`)."""

"""The portal's own endpoints (role assignments, notifications, the current user) and their registration."""


def register(router):
    pass

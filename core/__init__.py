"""The ground floor: settings, errors, database engines, ids and the clock.

Every other package stands on this one and nothing here imports any of them, so a module can
move between layers above without dragging settings or errors with it.
"""

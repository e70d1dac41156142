"""Trainers for the networks of the one-pass methods: ``fast``, ``adain`` and ``reconstruction``
plug their step into the one loop (:mod:`.loop`), with :mod:`.data`, :mod:`.distributed`,
:mod:`.checkpoint` and the model cards (:mod:`.cards`)."""

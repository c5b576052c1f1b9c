"""Kernel tuning: the databases of measured parameters (``database``) and the tuner that fills them
(``tuner``, behind ``ovcl tune``)."""

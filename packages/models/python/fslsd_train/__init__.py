"""Training FSLSD (issue 16): the paper's objective on the SDK's own preprocessing.

The networks are fslsd_reference's; this package adds what only training needs: the losses
(losses.py), and, as the trainer grows, the data reader, the discriminator and the loop.
"""

"""Model cards and their images (confusion matrix, training curves), made from the training record."""

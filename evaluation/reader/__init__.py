"""The reader's training: mining groups (news quizzes, SQuAD), training, export to ONNX, tuning, and the held-out weeks."""

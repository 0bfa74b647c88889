namespace LoraSdk.Training;

/// <summary>One evaluation on the validation split (accuracy only for classification).</summary>
public sealed record EvaluationResult(int Step, double Loss, double? Accuracy, bool IsBest);

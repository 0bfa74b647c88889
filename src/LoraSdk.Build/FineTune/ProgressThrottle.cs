namespace LoraSdk.Build.FineTune
{
    /// <summary>
    /// Decides which progress reports reach normal verbosity: the first, then one every
    /// <see cref="Interval"/> steps, and the last, so a long run shows a readable trickle.
    /// </summary>
    internal sealed class ProgressThrottle
    {
        private long _lastRelayed = -1;

        public int Interval { get; set; } = 10;

        public bool ShouldRelay(long step, long totalSteps)
        {
            bool relay = _lastRelayed < 0
                         || (totalSteps > 0 && step >= totalSteps)
                         || Interval <= 1
                         || step / Interval > _lastRelayed / Interval;
            if (relay) _lastRelayed = step;
            return relay;
        }
    }
}

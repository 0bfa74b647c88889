using LoraSdk.Search;

namespace LoraSdk.Training.Tests.Search;

public class SearchSpaceParserTests
{
    [Fact]
    public void ReadsKeysInAnyCaseAndWritesValuesCanonically()
    {
        var space = SearchSpaceParser.Parse(" rank = 4, 8 ,16; LearningRate=3e-4,1E-3 ; useRsLora=TRUE,false; init=gaussian;");
        Assert.Equal("Rank=4,8,16;LearningRate=0.0003,0.001;UseRsLoRA=true,false;Init=Gaussian", space.ToString());
        Assert.Equal(12, space.Count);
        var candidates = space.Candidates();
        Assert.Equal(12, candidates.Count);
        Assert.Equal("Rank=4, LearningRate=0.0003, UseRsLoRA=true, Init=Gaussian", candidates[0].Label);
        Assert.Equal("Rank=16, LearningRate=0.001, UseRsLoRA=false, Init=Gaussian", candidates[^1].Label);
        Assert.Equal(Enumerable.Range(0, 12), candidates.Select(c => c.Index));
        Assert.Equal(12, candidates.Select(c => c.Label).Distinct().Count());
    }

    [Fact]
    public void TheLoraPlusRatioIsAnAxisLikeTheLearningRate()
    {
        var space = SearchSpaceParser.Parse("loraplusLrRatio=1,16.0,8e0;LearningRate=1e-3");
        Assert.Equal("LoraPlusLrRatio=1,16,8;LearningRate=0.001", space.ToString());
        Assert.Equal(["LoraPlusLrRatio=1, LearningRate=0.001", "LoraPlusLrRatio=16, LearningRate=0.001", "LoraPlusLrRatio=8, LearningRate=0.001"],
            space.Candidates().Select(c => c.Label));
        Assert.True(SearchableOption.Find("LoraPlusLrRatio")!.IsScale); // plotted on a log axis, as the learning rate
    }

    [Fact]
    public void UseDoRAIsASearchAxis()
    {
        var space = SearchSpaceParser.Parse("UseDoRA=false,TRUE;Rank=8");
        Assert.Equal("UseDoRA=false,true;Rank=8", space.ToString());
        Assert.Equal(["UseDoRA=false, Rank=8", "UseDoRA=true, Rank=8"], space.Candidates().Select(c => c.Label));
        Assert.Contains("UseDoRA value 'maybe' must be one of true, false",
            Assert.Throws<SearchSpaceException>(() => SearchSpaceParser.Parse("UseDoRA=maybe")).Message);
    }

    [Theory]
    [InlineData("", "the search space is empty")]
    [InlineData(" ; ", "the search space is empty")]
    [InlineData("Rank 4,8", "'Rank 4,8' is not Key=value,value,... (no '=')")]
    [InlineData("=4,8", "'=4,8' has no key before '='")]
    [InlineData("Rnak=4,8", "unknown key 'Rnak' (searchable: Rank, Alpha,")]
    [InlineData("Rank=4,eight", "Rank value 'eight' is not a whole number")]
    [InlineData("Rank=0,4", "Rank value '0' must be at least 1")]
    [InlineData("Rank=4,,8", "Rank has an empty value in 'Rank=4,,8'")]
    [InlineData("Rank=4,04", "Rank lists 04 twice")]
    [InlineData("Rank=4;rank=8", "Rank is listed twice")]
    [InlineData("LearningRate=-1e-3", "LearningRate value '-1e-3' must be a positive number")]
    [InlineData("LearningRate=NaN", "LearningRate value 'NaN' is not a number")]
    [InlineData("LoraPlusLrRatio=1,0", "LoraPlusLrRatio value '0' must be a positive number (1 is plain LoRA)")]
    [InlineData("LoraPlusLrRatio=NaN,16", "LoraPlusLrRatio value 'NaN' is not a number")]
    [InlineData("Dropout=0.1,1", "Dropout value '1' must be in [0, 1)")]
    [InlineData("Init=uniform", "Init value 'uniform' must be one of Kaiming, Gaussian")]
    [InlineData("UseRsLoRA=yes", "UseRsLoRA value 'yes' must be one of true, false")]
    [InlineData("Targets=query+value,query+key+value+output", "Targets cannot be searched: the layers a [LoRA] class adapts are compiled into the model")]
    [InlineData("Epochs=1,2", "Epochs cannot be searched: the search sets each trial's length from Budget")]
    [InlineData("Seed=1,2", "Seed cannot be searched")]
    public void BadInputIsAnErrorNamingTheKeyAndValue(string text, string expected)
    {
        var error = Assert.Throws<SearchSpaceException>(() => SearchSpaceParser.Parse(text));
        Assert.Contains(expected, error.Message);
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Tern.Tests.Server;
using Tern.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Tern.Tests.Deploy;

/// <summary>deploy/: the manifests parse, and their ports, probes and scrape paths are the ones the server really has.</summary>
public sealed class DeployManifestTests
{
    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(RepoFiles.PathOf("deploy", "kubernetes", file));
        yaml.Load(reader);
        return (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
    }

    private static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
            node = step is int i ? ((YamlSequenceNode)node).Children[i] : ((YamlMappingNode)node).Children[new YamlScalarNode((string)step)];
        return node;
    }

    private static string Scalar(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [Fact]
    public async Task TheDeploymentProbesAndScrapesRoutesTheServerServes()
    {
        var d = Load("deployment.yaml");
        Assert.Equal("Deployment", Scalar(d, "kind"));
        var pod = At(d, "spec", "template");
        var container = At(pod, "spec", "containers", 0);
        Assert.Equal("http", Scalar(container, "ports", 0, "name"));
        int port = int.Parse(Scalar(container, "ports", 0, "containerPort"));
        Assert.Equal(port.ToString(), Scalar(pod, "metadata", "annotations", "prometheus.io/port"));
        Assert.Equal("true", Scalar(pod, "metadata", "annotations", "prometheus.io/scrape"));

        // The Dockerfile's server listens on that port, on every interface (as a pod must).
        string dockerfile = File.ReadAllText(RepoFiles.PathOf("deploy", "Dockerfile"));
        Assert.Contains($"EXPOSE {port}", dockerfile);
        Assert.Matches(new Regex($"ENTRYPOINT .*\"serve\", \"--host\", \"0.0.0.0\", \"--port\", \"{port}\""), dockerfile);
        var args = ((YamlSequenceNode)At(container, "args")).Children.Select(a => ((YamlScalarNode)a).Value!).ToList();
        Assert.Contains("-m", args);
        Assert.True(long.Parse(Regex.Match(Scalar(container, "resources", "requests", "memory"), @"\d+").Value) > 1200, "the pod must request more memory than the 1.2 GB model");

        // Every probe path and the scrape path answer on a real server (200 once the model is loaded).
        await using var server = await TestServer.StartAsync();
        var paths = new[] { "readinessProbe", "livenessProbe", "startupProbe" }.Select(p => Scalar(container, p, "httpGet", "path"))
            .Append(Scalar(pod, "metadata", "annotations", "prometheus.io/path")).ToList();
        foreach (var path in paths)
            Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync(path.TrimStart('/'))).StatusCode);
        foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            Assert.Equal("http", Scalar(container, probe, "httpGet", "port"));
    }

    [Fact]
    public void TheServiceAndIngressPointAtThePodsPortWithSessionAffinityOnAHeader()
    {
        var s = Load("service.yaml");
        Assert.Equal("Service", Scalar(s, "kind"));
        Assert.Equal("http", Scalar(s, "spec", "ports", 0, "targetPort"));
        Assert.Equal("tern", Scalar(s, "spec", "selector", "app"));
        var i = Load("ingress.yaml");
        Assert.Equal("Ingress", Scalar(i, "kind"));
        Assert.Equal("$http_x_session_id", Scalar(i, "metadata", "annotations", "nginx.ingress.kubernetes.io/upstream-hash-by"));
        Assert.Equal("off", Scalar(i, "metadata", "annotations", "nginx.ingress.kubernetes.io/proxy-buffering")); // streams must not be buffered
        Assert.Equal("tern", Scalar(i, "spec", "rules", 0, "http", "paths", 0, "backend", "service", "name"));
        Assert.Equal("PersistentVolumeClaim", Scalar(Load("models-pvc.yaml"), "kind"));
    }
}

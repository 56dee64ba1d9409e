@_exported import Diff
@_exported import GitSource
@_exported import Health
@_exported import KubeClient
// The umbrella module: `import GitOps` brings in every module of the SDK, plus the adapters that
// join two of them (ClusterDryRunApplier, ClusterSchemaProvider).
@_exported import Manifests
@_exported import SOPS
@_exported import Sync

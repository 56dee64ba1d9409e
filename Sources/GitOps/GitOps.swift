// The umbrella module: `import GitOps` brings in every module of the SDK, plus the adapters that
// join two of them (ClusterDryRunApplier, ClusterSchemaProvider).
@_exported import Manifests
@_exported import KubeClient
@_exported import GitSource
@_exported import Diff
@_exported import Health
@_exported import Sync
@_exported import SOPS

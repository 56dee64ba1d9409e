// The umbrella module: `import GitOps` brings in every module of the SDK.
@_exported import Manifests
@_exported import KubeClient
@_exported import GitSource
@_exported import Diff
@_exported import Health
@_exported import Sync
@_exported import SOPS

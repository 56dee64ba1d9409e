// KubeClient: this module is built by its own issue; it declares nothing yet.

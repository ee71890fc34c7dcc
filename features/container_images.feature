@container_images
Feature: Container images are not artifacts
  The artifact store holds files for pods to mount, not images to run.
  A reference that names a container image (OCI or Docker, or an index
  whose instance for this node's platform is one) must never end up in it:
  the artifact pull fails saying so, or, in a runtime that pulls such a
  reference into its image storage instead, it appears there as an image
  (whose ID is its config digest), never as an artifact. What counts as an
  artifact is decided by the manifest alone: an artifactType, or a config
  that is not a container image config.

  Background:
    Given a node without read-only stores

  @required @rule:pull.refuse-container-images
  Scenario Outline: Pulling <kind> never puts it into the artifact store
    Given the registry has <kind> tagged "app:v1"
    When the client pulls "app:v1"
    Then the artifact store does not hold "app:v1"

    Examples:
      | kind                                                              |
      | an OCI container image                                            |
      | a Docker v2 container image                                       |
      | an image index whose host-platform instance is a container image |
      | a manifest with an OCI image config and no artifactType           |

  @required @rule:artifact.recognised
  Scenario Outline: A manifest with <kind> is an artifact
    Given the registry has artifact A, a manifest with <kind>, tagged "llm:v1"
    When the client pulls "llm:v1"
    Then the pull returns artifact A
    And "llm:v1" resolves to artifact A

    Examples:
      | kind                                    |
      | an artifactType and an empty config     |
      | no artifactType and a ModelPack config  |
      | an artifactType and an OCI image config |

@mounts
Feature: Mounting an artifact's files into a container
  A pod that mounts a model artifact gets its layers as files in a
  directory, each layer named by its title (or, for ModelPack models, its
  file path annotation). The files are bound straight from the store that
  resolved the artifact, with no copy. A layer name is data from a registry,
  so it must never let a mount land outside its directory, and a blob that no
  longer matches its digest must never reach a container.

  Background:
    Given a node with the read-only store "first"
    And artifact M has the layers:
      | file           | named by            |
      | model.bin      | title               |
      | tokenizer.json | ModelPack file path |
      |                | nothing             |

  @required @rule:mount.from-resolving-store
  Scenario: The files of a read-only artifact are served from that read-only store
    Given the read-only store "first" holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths are served from the read-only store "first"
    And the mount paths hold the files of artifact M

  @required @rule:mount.from-resolving-store
  Scenario: The files of a pulled artifact are served from the main store
    Given the registry has artifact M tagged "llm:v1"
    And the client has pulled "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths are served from the main store
    And the mount paths hold the files of artifact M

  @required @rule:mount.from-resolving-store
  Scenario: When both stores hold the tag, the read-only copy is the one mounted
    Given the main store holds artifact A as "llm:v1"
    And the read-only store "first" holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths are served from the read-only store "first"
    And the mount paths hold the files of artifact M

  @required @rule:mount.named-layers
  Scenario: Layers are named by their title or ModelPack file path; a layer without a name is skipped with a warning
    Given the read-only store "first" holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths are named "model.bin" and "tokenizer.json"
    And a warning was logged about the unnamed layer of artifact M

  @optional @rule:mount.modelpack-draft-path
  Scenario: A layer named by an early ModelPack draft's file path is mounted under that name
    Given artifact D has the layers:
      | file           | named by                  |
      | model.bin      | title                     |
      | tokenizer.json | draft ModelPack file path |
    And the read-only store "first" holds artifact D as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths hold the files of artifact D

  @required @rule:mount.unsafe-names
  Scenario Outline: A layer named "<name>" (<why>) is never mounted
    Given artifact U has the layers:
      | file      | named by    |
      | model.bin | title       |
      | <name>    | <named by>  |
    And the read-only store "first" holds artifact U as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the layer named "<name>" of artifact U is not mounted

    Examples:
      | why                                 | name              | named by                  |
      | a parent directory                  | ..                | title                     |
      | climbs out of the target            | ../escape.bin     | title                     |
      | a path with a slash                 | weights/model.bin | title                     |
      | an absolute path                    | /etc/cron.d/job   | title                     |
      | climbs out, as ModelPack path       | ../../etc/passwd  | ModelPack file path       |
      | climbs out, as draft ModelPack path | ../../etc/passwd  | draft ModelPack file path |
      | holds a NUL byte                    | model\0.bin       | title                     |

  @required @rule:mount.verified-content
  Scenario: A layer whose content no longer matches its digest is never handed out for mounting
    Given the read-only store "first" holds artifact M as "llm:v1"
    And a layer of artifact M is altered in the read-only store "first"
    When the client asks for the mount paths of "llm:v1"
    Then the altered layer of artifact M is not handed out

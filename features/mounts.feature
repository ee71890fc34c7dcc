@mounts
Feature: Mounting an artifact's files into a container
  A pod that mounts a model artifact gets its layers as files in a
  directory, each layer named by its title (or, for ModelPack models, its
  file path annotation). The files are bound straight from the store that
  resolved the artifact, with no copy. A layer name is data from a registry,
  so it must never let a mount land outside its directory, and a blob that no
  longer matches its digest must never reach a container.

  Each mount is asked for as kubelet asks for an image volume: ImageStatus by
  the reference (PullImage too when the pull policy calls for it, and by
  default it is IfNotPresent), then CreateContainer with the mount's image set
  to the ID the runtime answered, and its sub-path when the volume mount has one.

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
      | climbs out through a directory      | weights/../../escape.bin | title              |
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

  @required @rule:mount.from-resolving-store @rule:pull.skip-read-only
  Scenario: An image volume with pull policy Always is mounted from the read-only store without downloading it
    Given the registry has artifact M tagged "llm:v1"
    And the read-only store "first" holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm:v1" with pull policy Always
    Then the mount paths are served from the read-only store "first"
    And the mount paths hold the files of artifact M
    And no blob was downloaded from the registry

  @required @rule:mount.from-resolving-store
  Scenario: An image volume with pull policy Never is mounted from the read-only store
    Given the read-only store "first" holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm:v1" with pull policy Never
    Then the mount paths are served from the read-only store "first"
    And the mount paths hold the files of artifact M

  @required @rule:mount.from-resolving-store @rule:resolve.id-several-names
  Scenario Outline: An artifact held as "<first>" and "<second>" (<where>) is mounted by its ID
    Given <first place> holds artifact M as "<first>"
    And <second place> holds artifact M as "<second>"
    When the client asks for the mount paths of "<second>"
    Then the mount paths hold the files of artifact M

    Examples:
      | where                                  | first  | second     | first place                 | second place                |
      | two tags in the main store             | llm:v1 | llm:latest | the main store              | the main store              |
      | two repositories in the main store     | llm:v1 | other:v1   | the main store              | the main store              |
      | two tags in a read-only store          | llm:v1 | llm:latest | the read-only store "first" | the read-only store "first" |
      | two repositories in a read-only store  | llm:v1 | other:v1   | the read-only store "first" | the read-only store "first" |
      | one tag in each store                  | llm:v1 | llm:latest | the read-only store "first" | the main store              |
      | one repository in each store           | llm:v1 | other:v1   | the read-only store "first" | the main store              |

  @required @rule:mount.from-resolving-store @rule:resolve.by-digest
  Scenario Outline: An image volume that names the artifact by digest is mounted by its ID (<where>)
    Given <place> holds artifact M as "llm:v1"
    When the client asks for the mount paths of "llm@M"
    Then the mount paths hold the files of artifact M

    Examples:
      | where             | place                       |
      | a read-only store | the read-only store "first" |
      | the main store    | the main store              |

  @required @rule:mount.from-resolving-store @rule:resolve.by-digest
  Scenario: An image volume that names an artifact by digest is pulled, then mounted by its ID
    Given the registry has artifact M tagged "llm:v1"
    When the client asks for the mount paths of "llm@M"
    Then the mount paths are served from the main store
    And the mount paths hold the files of artifact M

  @required @rule:mount.nested-names
  Scenario: A layer named by a relative path is mounted at that path
    Given artifact W has the layers:
      | file          | named by |
      | weights/a.bin | title    |
      | weights/b.bin | title    |
      | config.json   | title    |
    And the read-only store "first" holds artifact W as "llm:v1"
    When the client asks for the mount paths of "llm:v1"
    Then the mount paths are named "weights/a.bin", "weights/b.bin" and "config.json"
    And the mount paths hold the files of artifact W

  @required @rule:mount.sub-path
  Scenario: A sub-path mounts the files below it, named relative to it
    Given artifact W has the layers:
      | file          | named by |
      | weights/a.bin | title    |
      | weights/b.bin | title    |
      | config.json   | title    |
    And the read-only store "first" holds artifact W as "llm:v1"
    When the client asks for the mount paths of "llm:v1" with the sub-path "weights"
    Then the mount paths are named "a.bin" and "b.bin"
    And the mount paths are served from the read-only store "first"

  @required @rule:mount.sub-path
  Scenario Outline: A sub-path "<sub-path>" (<why>) is refused
    Given artifact W has the layers:
      | file          | named by |
      | weights/a.bin | title    |
      | config.json   | title    |
    And the read-only store "first" holds artifact W as "llm:v1"
    When the client asks for the mount paths of "llm:v1" with the sub-path "<sub-path>"
    Then the mount of "llm:v1" is refused

    Examples:
      | why                           | sub-path        |
      | no file lies below it         | tokenizer       |
      | it names a file, not a folder | config.json     |
      | climbs out of the artifact    | ../first        |
      | climbs out through a folder   | weights/../..   |
      | is absolute                   | /weights        |

  Rule: What a pod sees

    @required @rule:mount.read-only
    Scenario: An image volume is read-only inside the container
      Given the read-only store "first" holds artifact M as "llm:v1"
      When a pod mounts "llm:v1"
      Then the volume is read-only inside the container: writing, removing and creating files there fails
      And the volume at "/volume" holds the files of artifact M

    @required @rule:mount.read-only
    Scenario: A pulled artifact's image volume is read-only inside the container too
      Given the registry has artifact M tagged "llm:v1"
      And the client has pulled "llm:v1"
      When a pod mounts "llm:v1"
      Then the volume is read-only inside the container: writing, removing and creating files there fails
      And the volume at "/volume" holds the files of artifact M

    @required @rule:mount.several-volumes
    Scenario: Two image volumes of one pod each show their own artifact's files
      Given artifact W has the layers:
        | file          | named by |
        | weights/a.bin | title    |
        | config.json   | title    |
      And the read-only store "first" holds artifact M as "llm:v1"
      And the registry has artifact W tagged "data:v1"
      When a pod mounts "llm:v1" at "/volume-0" and "data:v1" at "/volume-1"
      Then the volume at "/volume-0" holds the files of artifact M
      And the volume at "/volume-1" holds the files of artifact W

    @required @rule:mount.concurrent-pods
    Scenario: Eight pods started at once that mount one artifact each get its files
      Given the read-only store "first" holds artifact M as "llm:v1"
      When 8 pods that mount "llm:v1" start at once
      Then each pod's volume holds the files of artifact M


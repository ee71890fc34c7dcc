@media
Feature: Stores on the media nodes keep them on
  Nodes keep models where the runtime cannot write, or cannot count on: a
  file-system image baked into the node or shipped beside it (squashfs,
  erofs), mounted read-only through a loop device, or a network export that
  can be slow, stall on a dead server (a hard NFS mount), answer EIO (a soft
  mount that timed out) or go away.

  The harness builds the images with mksquashfs and mkfs.erofs and mounts
  them with `mount -o loop,ro` at the store's path. The network export is a
  FUSE file system of the harness serving the store from a directory, with no
  kernel caching (as NFS with `noac`), whose faults a scenario switches while
  the node runs; it is exported writable, as a shared model cache that nodes
  fill, and records every write the runtime asks of it. These scenarios need
  root, loop devices and /dev/fuse; where the machine lacks them they are not
  applicable, saying what is missing.

  Rule: A store on a file-system image is served like any other, also after the image is swapped while the node runs

    @required @rule:media.file-system-images
    Scenario Outline: A store on a read-only <kind> image is resolved, listed, pinned and mounted, and nothing is downloaded
      Given a node with the read-only store "first"
      And the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" is on a read-only <kind> image
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no blob was downloaded from the registry
      And "llm:v1" resolves to artifact A
      And the list shows "llm:v1" once, as artifact A
      And the list reports artifact A as pinned
      When the client asks for the mount paths of "llm:v1"
      Then the mount paths are served from the read-only store "first"

      Examples:
        | kind     |
        | squashfs |
        | erofs    |

    @required @rule:media.file-system-images
    Scenario Outline: A store's read-only <kind> image swapped for a new one while the node runs is served with its new content
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" is on a read-only <kind> image
      When the client lists the artifacts
      Then the list shows artifact A tagged "llm:v1"
      When the image of the read-only store "first" is swapped for one that also holds artifact B as "llm:v2"
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"
      And the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      When the client asks for the mount paths of "llm:v2"
      Then the mount paths are served from the read-only store "first"

      Examples:
        | kind     |
        | squashfs |
        | erofs    |

  Rule: A store on a network export is only ever read

    @required @rule:readonly.never-written
    Scenario: Starting, pulling, listing and mounting ask no write of a store on a network export
      Given a node with the read-only store "first"
      And the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" is on a network export
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      When the client lists the artifacts
      And the client asks for the mount paths of "llm:v1"
      Then the network export of the read-only store "first" was asked for no write

  Rule: A stalled store never hangs the node: calls about other stores' artifacts answer, and the store is served again once it answers

    @required @rule:faults.store-stall
    Scenario: While one store's export stalls, the other store and the main store answer within 5 seconds, and the stalled store is served again once it answers
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the main store holds artifact C as "llm:v3"
      And the read-only store "first" is on a network export
      When the client lists the artifacts
      Then the list shows artifacts A, B and C
      When the network export of the read-only store "first" stalls
      And the client asks for the status of "llm:v2" within 5 seconds
      Then the status gives artifact B
      When the client asks for the status of "llm:v3" within 5 seconds
      Then the status gives artifact C
      When the client lists the artifacts within 5 seconds
      Then the list shows artifact B tagged "llm:v2"
      And the list shows artifact C tagged "llm:v3"
      When the network export of the read-only store "first" answers again
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"
      And "llm:v1" resolves to artifact A

  Rule: A store whose export fails hides only itself, and is served again once the export answers

    @required @rule:faults.store-contained
    Scenario Outline: A store whose network export <fails> hides only itself, and is served again once the export answers
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the main store holds artifact C as "llm:v3"
      And the read-only store "first" is on a network export
      When the client lists the artifacts
      Then the list shows artifacts A, B and C
      When the network export of the read-only store "first" <fails>
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact B tagged "llm:v2"
      And the list shows artifact C tagged "llm:v3"
      And "llm:v2" resolves to artifact B
      When the network export of the read-only store "first" answers again
      And the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"
      And "llm:v1" resolves to artifact A

      Examples:
        | fails                                      |
        | answers EIO for index.json                 |
        | answers EIO for the manifest of artifact A |
        | goes away                                  |

  Rule: A store that cannot be read is named in a warning, at start-up and while the node runs

    @required @rule:faults.unavailable-store-named
    Scenario Outline: A store whose network export <fails> before the node starts is named in a warning
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the read-only store "first" is on a network export
      And the network export of the read-only store "first" <fails> before the node starts
      When the client lists the artifacts within 10 seconds
      Then a warning names the read-only store "first"

      Examples:
        | fails                      |
        | answers EIO for index.json |
        | goes away                  |
        | stalls                     |

    @required @rule:faults.unavailable-store-named
    Scenario Outline: A store whose network export <fails> while the node runs is named in a warning
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the read-only store "first" is on a network export
      When the client lists the artifacts
      And the network export of the read-only store "first" <fails>
      And the client lists the artifacts within 10 seconds
      Then a warning names the read-only store "first"

      Examples:
        | fails                      |
        | answers EIO for index.json |
        | goes away                  |
        | stalls                     |

  Rule: A slow store is read within bounds, and a pull it satisfies still asks nothing of the registry

    @required @rule:faults.slow-store
    Scenario: On an export answering every operation after 20 ms, a store of 201 artifacts answers within 10 seconds, and a pull it satisfies makes no registry request
      Given a node with the read-only store "first"
      And the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" holds 200 more artifacts like artifact A, "bulk:t1" to "bulk:t200"
      And the read-only store "first" is on a network export
      And the network export of the read-only store "first" answers every operation after 20 ms
      When the node starts
      And the client pulls "llm:v1", which must end within 10 seconds
      Then the pull returns artifact A
      And no request reached the registry
      When the client asks for the status of "llm:v1" within 10 seconds
      Then the status gives artifact A
      When the client lists the artifacts within 10 seconds
      Then the list shows artifact A tagged "llm:v1"

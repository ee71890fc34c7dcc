@purpose
Feature: What read-only stores are for
  A read-only store exists so that many nodes can share artifacts that are
  too big to download on each: a read-only NFS export, a volume baked into a
  machine image, a directory another team manages. Some rules are not spelled
  out in CRI-O's documentation but follow from that purpose; a runtime that
  breaks them cannot be used that way, so they are required too.

  Rule: Read-only means read-only: the runtime creates and changes nothing in a read-only store

    @required @rule:readonly.never-written
    Scenario: Starting, pulling, listing and removing leave a read-only store exactly as it was
      Given a node with the read-only store "first"
      And the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      When the client pulls "llm:v1"
      And the client lists the artifacts
      And the client asks for the status of "llm:v1"
      And the client removes "llm:v1"
      Then the read-only store "first" is unchanged

    @required @rule:readonly.never-written
    Scenario: A store on a read-only bind mount is served like any other
      Given a node with the read-only store "first"
      And the registry has artifact A tagged "llm:v1"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" is on a read-only bind mount
      When the client pulls "llm:v1"
      Then the pull returns artifact A
      And no blob was downloaded from the registry
      And the list shows "llm:v1" once, as artifact A
      And the read-only store "first" is unchanged

  Rule: Every artifact stays visible: artifacts without a usable name are each listed, with empty tags

    @required @rule:list.unnamed-visible
    Scenario: Artifacts without a name in a read-only store are each listed, and found by ID
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A without a name
      And the read-only store "first" holds artifact B without a name
      When the client lists the artifacts
      Then the list shows artifact A without tags
      And the list shows artifact B without tags
      And the ID of artifact B resolves to artifact B

  Rule: Removal by ID works, so kubelet's garbage collector can reclaim space

    @required @rule:remove.by-id
    Scenario: A main-store artifact is removed by its 64-character ID
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      And the client has pulled "llm:v1"
      When the client removes the ID of artifact A
      Then it succeeds
      And the list does not show artifact A
      And the ID of artifact A is not found
      And "llm:v1" is not found

    @required @rule:remove.by-id
    Scenario: Removing an ID that no store holds succeeds
      Given a node without read-only stores
      When the client removes the ID of artifact Z
      Then it succeeds

    @required @rule:remove.by-id
    Scenario: The unnamed artifact a moved tag left behind is removed by its ID, and its blobs with it
      Given a node without read-only stores
      And artifact B shares a layer with artifact A
      And the registry has artifact A tagged "llm:v1"
      And the client has pulled "llm:v1"
      And the tag "llm:v1" is moved to artifact B at the registry
      And the client has pulled "llm:v1"
      When the client removes the ID of artifact A
      Then it succeeds
      And the list does not show artifact A
      And the ID of artifact A is not found
      And the list shows "llm:v1" once, as artifact B
      And the main store no longer holds the blobs that only artifact A used
      And the main store still holds every blob of artifact B

  Rule: Digests are preserved: the main store holds the registry's manifest byte for byte

    @required @rule:digest.preserved
    Scenario: The main store keeps the manifest exactly as the registry served it
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      Then the main store holds the manifest of artifact A byte for byte

    @required @rule:digest.preserved
    Scenario: The repo digest a pulled artifact reports resolves at the registry to the same manifest
      Given a node without read-only stores
      And the registry has artifact A tagged "llm:v1"
      When the client pulls "llm:v1"
      Then the repo digest reported for "llm:v1" resolves at the registry to artifact A

  Rule: The main store is not an additional store

    @required @rule:config.main-root-separate
    Scenario: A store path that is the same as the main root is refused, naming the path
      Given a node with a read-only store configured as "{root}"
      When the node starts
      Then the node refuses to start, naming the path "{root}"

    @optional @rule:config.main-root-apart
    Scenario Outline: A store path that is <relation> the main root is refused, naming the path
      Given a node with a read-only store configured as "<path>"
      When the node starts
      Then the node refuses to start, naming the path "<path>"

      Examples:
        | relation         | path          |
        | inside           | {root}/models |
        | the directory of | {root-parent} |

  Rule: Faults are contained: damage in a read-only store hides at most that store (that entry, at the optional level)

    @required @rule:faults.store-contained
    Scenario: A read-only store whose index.json is corrupt hides that store only
      Given a node with the read-only stores "first" and "second"
      And the main store holds artifact C as "llm:v3"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the read-only store "first" has an index.json that is not valid JSON
      When the client lists the artifacts
      Then the list shows artifact B tagged "llm:v2"
      And the list shows artifact C tagged "llm:v3"
      And "llm:v2" resolves to artifact B
      And "llm:v3" resolves to artifact C
      And the main store is unchanged
      And a warning names the read-only store "first"

    @required @rule:faults.store-contained
    Scenario Outline: A read-only entry whose manifest <damage> hides at most its store
      Given a node with the read-only stores "first" and "second"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "second" holds artifact B as "llm:v2"
      And the manifest of artifact A <damage> in the read-only store "first"
      When the client lists the artifacts
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      And "llm:v1" does not resolve to artifact A
      And the main store is unchanged

      Examples:
        | damage     |
        | is missing |
        | is altered |

    @optional @rule:faults.entry-contained
    Scenario Outline: A read-only entry whose manifest <damage> hides only that entry
      Given a node with the read-only store "first"
      And the read-only store "first" holds artifact A as "llm:v1"
      And the read-only store "first" holds artifact B as "llm:v2"
      And the manifest of artifact A <damage> in the read-only store "first"
      When the client lists the artifacts
      Then the list shows artifact B tagged "llm:v2"
      And "llm:v2" resolves to artifact B
      And "llm:v1" does not resolve to artifact A

      Examples:
        | damage     |
        | is missing |
        | is altered |

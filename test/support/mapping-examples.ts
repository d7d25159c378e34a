// The two examples of mongo-connector-postgresql's documentation, unchanged.
export const leadMonitoringExample = {
  my_mongo_database: {
    my_mongo_collection: {
      pk: "id",
      indices: ["UNIQUE INDEX category_idx ON LeadMonitoring(category)", "UNIQUE INDEX conversationDate_idx ON LeadMonitoring(conversation_date)"],
      _id: { dest: "id", type: "TEXT" },
      description: { dest: "description", type: "TEXT" },
      enable: { dest: "enabled", type: "BOOLEAN" },
      "myobject.subproperty": { dest: "subproperty", type: "TEXT" },
    },
  },
};

export const postsExample = {
  my_mongo_database: {
    posts: {
      pk: "id",
      _id: { dest: "id", type: "TEXT" },
      content: { dest: "description", type: "TEXT" },
      comments: { dest: "comments", type: "_ARRAY", fk: "post_id" },
    },
    comments: {
      pk: "id",
      post_id: { dest: "post_id", type: "TEXT" },
      user: { dest: "user", type: "TEXT" },
      comment: { dest: "comment", type: "TEXT" },
    },
  },
};
